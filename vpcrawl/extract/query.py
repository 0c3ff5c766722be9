"""CSS selectors compiled once into lxml XPath objects, run on lxml elements.

Profiles keep their selectors as data (CSS strings); compiling them is the extractor's business.
`parsel.Selector.css` translates (cached), looks the compiled XPath up and wraps every match in
a new Selector, on every call. A `Query` runs parsel's own translation (`css2xpath`,
`::text`/`::attr()` included), compiled once, on `Selector.root` or any element, and returns the
lxml nodes (or strings) themselves: the same nodes, in the same document order.

libxml2 tests a page-wide selector such as `#news-bodyhtml` or `.article_content` on every
element of the page, and profiles look the same container up several times (the layout
signature, then the body; `#news-bodyhtml a[href$='.pdf']` for each document type). So on a
page's root element a query is run in two halves: the part for the leftmost compound of each
selector (`descendant-or-self::*[@id = 'news-bodyhtml']`), remembered for the page, then the
rest of the path from the element it found (`./descendant::a[...]`). XPath location steps
compose, so that is the same node-set; whenever the halves could disagree on order (several
elements for the first half, several selectors of a group matching) the whole XPath runs, or
matches are put back in document order. A leftmost compound of classes or an id (`div.sapo`,
`.article_content`, `#Author`) is looked up in the page's attribute index (every `class` and
`id` attribute, from one `//@class` and one `//@id` walk), a bare tag with lxml's `iter(tag)`;
once the index is built, selectors of that kind are answered from it under any element of
the page too (the body's excluded widgets, its captions).

What is remembered belongs to the latest page root queried (held, like `generic.meta_table`'s
cache, until another page is queried): a page must not be modified between its queries, which
extraction never does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from cssselect import parse as parse_css
from cssselect.parser import Class, CombinedSelector, Element, Hash
from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator, css2xpath

__all__ = ["Query", "compile_css", "compile_union", "node"]

_PREFIX = "descendant-or-self::"
_TRANSLATOR = HTMLTranslator()


def node(sel: Any) -> Any:
    """The lxml node behind a Selector (or the node itself)."""
    return sel.root if isinstance(sel, Selector) else sel


def _xpath(expr: str) -> etree.XPath:
    return etree.XPath(expr, smart_strings=False)


def _split(css: str) -> tuple[_Part, ...] | None:
    """Per selector of the group: the XPath of its leftmost compound, the compiled XPath of
    the rest of its path relative to a node that compound matched (None when there is no
    rest), whether the rest only reaches inside that node, and its whole compiled XPath.
    None when a selector has a pseudo-element (`::text`, `::attr()`) or does not translate to
    `<leftmost compound>/<rest>`: the query then always runs whole."""
    parts = []
    for selector in parse_css(css):
        if selector.pseudo_element is not None:
            return None
        full = _TRANSLATOR.selector_to_xpath(selector, _PREFIX, translate_pseudo_elements=True)
        tree = selector.parsed_tree
        while isinstance(tree, CombinedSelector):
            tree = tree.selector
        lead = _PREFIX + str(_TRANSLATOR.xpath(tree))
        if not full.startswith(lead) or "|" in full:
            return None
        rest = full[len(lead):]
        if rest and not rest.startswith("/"):
            return None
        parts.append(_Part(lead, _xpath("." + rest) if rest else None, bool(_INSIDE.match(rest)),
                           _xpath(full), _lookup(tree)))
    return tuple(parts)


def _lookup(compound: Any) -> tuple[str, tuple[str, ...], str | None] | None:
    """("class", words, tag) for a compound `tag.w1.w2` / `.w1` (classes only), ("id", (value,),
    tag) for `tag#value` / `#value`: leads the page's attribute index answers; ("tag", (), tag)
    for a bare `tag`: lxml's `iter(tag)` answers it. None otherwise."""
    words: list[str] = []
    while isinstance(compound, Class):
        word = compound.class_name
        if not word or not _NON_WHITESPACE(word):
            return None  # cssselect: matches nothing; the XPath says so
        words.append(word)
        compound = compound.selector
    ident = None
    if isinstance(compound, Hash) and not words:
        ident = compound.id
        compound = compound.selector
    if not isinstance(compound, Element) or compound.namespace is not None:
        return None
    tag = compound.element
    if tag is not None:
        if not _SAFE_NAME(tag):
            return None
        tag = tag.lower()  # as HTMLTranslator does
    if ident is not None:
        return ("id", (ident,), tag)
    if words:
        words.reverse()
        return ("class", tuple(words), tag)
    return ("tag", (), tag) if tag is not None else None


_SAFE_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]*$").match  # cssselect's is_safe_name
_NON_WHITESPACE = re.compile(r"^[^ \t\r\n\f]+$").match  # cssselect's is_non_whitespace
_XPATH_SPACE = re.compile(r"[ \t\r\n]+")  # what normalize-space() collapses
_CLASS_ATTRS = etree.XPath("//@class", smart_strings=True)
_ID_ATTRS = etree.XPath("//@id", smart_strings=True)


class _AttrIndex:
    """The page's `class` and `id` attributes by class word and by value, in document order
    (two walks of the tree in all, however many `tag.word` and `#value` leads are asked)."""

    __slots__ = ("_classes", "_ids", "root")

    def __init__(self, root: Any) -> None:
        self.root = root
        self._classes: dict[str, list[Any]] | None = None
        self._ids: dict[str, list[Any]] | None = None

    def has(self, kind: str) -> bool:
        """The table for this kind of lookup is built (or needs none)."""
        return kind == "tag" or (self._classes if kind == "class" else self._ids) is not None

    def elements(self, kind: str, values: tuple[str, ...], tag: str | None) -> list[Any]:
        """`descendant-or-self::tag[<class words / id test>]` from the page's root element."""
        if kind == "tag":
            return list(self.root.iter(tag))
        if kind == "class":
            table = self._classes
            if table is None:
                table = self._classes = {}
                for attr in _CLASS_ATTRS(self.root):
                    for word in _words(attr):
                        found = table.get(word)
                        if found is None:
                            if word:
                                table[word] = [attr]
                        elif found[-1] is not attr:
                            found.append(attr)
            attrs = table.get(values[0], ())
            if len(values) > 1:
                attrs = [attr for attr in attrs if all(w in _words(attr) for w in values[1:])]
        else:
            table = self._ids
            if table is None:
                table = self._ids = {}
                for attr in _ID_ATTRS(self.root):
                    table.setdefault(str(attr), []).append(attr)
            attrs = table.get(values[0], ())
        owners = [attr.getparent() for attr in attrs]
        return owners if tag is None else [el for el in owners if el.tag == tag]


def _words(value: str) -> list[str]:
    """The words `contains(concat(' ', normalize-space(@class), ' '), ' w ')` finds (and
    maybe empty strings); a printable string has no whitespace but the space."""
    return value.split() if value.isprintable() else _XPATH_SPACE.split(value)


class _Part:
    """One selector of a group, split at its leftmost compound (see `_split`)."""

    __slots__ = ("inside", "lead", "lookup", "rest", "whole")

    def __init__(self, lead: str, rest: etree.XPath | None, inside: bool, whole: etree.XPath,
                 lookup: tuple[str, tuple[str, ...], str | None] | None) -> None:
        self.lead = lead
        self.rest = rest
        self.inside = inside
        self.whole = whole
        self.lookup = lookup

    def run(self, root: Any, memo: dict[str, list[Any]]) -> list[Any]:
        """This selector's matches on a page root: the lead's matches (remembered, or from the
        attribute index), then the rest of the path from each, when that is cheaper than
        walking the page again."""
        if self.rest is None:
            return list(_leads(root, self))
        leads = memo.get(self.lead)
        if leads is None:
            if self.lookup is None:
                return self.whole(root)  # nothing to reuse: one walk, as the whole path
            leads = _leads(root, self)
        if not leads:
            return []
        if len(leads) == 1:
            return self.rest(leads[0])
        if self.inside and len(leads) <= _MAX_SEPARATE and not _nested(leads):
            # separate sub-trees in document order: their matches are in document order too
            return [m for el in leads for m in self.rest(el)]
        return self.whole(root)


_MAX_SEPARATE = 8  # beyond this many containers one walk of the page is cheaper


# A rest of path whose first step is the child or descendant axis: every node it reaches from
# an element lies inside that element (cssselect's later steps are child, descendant and
# following-sibling ones, which stay inside too).
_INSIDE = re.compile(r"/(?:descendant::|descendant-or-self::|[A-Za-z_*][\w.-]*(?:[\[/]|$))")


def _nested(elements: list[Any]) -> bool:
    """Some element of a document-ordered list lies inside another one."""
    for before, el in pairwise(elements):
        for ancestor in el.iterancestors():
            if ancestor is before:
                return True
    return False


# The leftmost-compound results of the page being read, and its attribute index: only the
# latest page is kept.
_LEAD_XPATHS: dict[str, etree.XPath] = {}
_PAGE: list[Any] = [None, {}, None]  # [root element, {lead XPath: matches}, _AttrIndex | None]


def _is_page_root(context: Any) -> bool:
    return isinstance(context, etree._Element) and context.getparent() is None


def _memo(root: Any) -> dict[str, list[Any]]:
    if _PAGE[0] is not root:
        _PAGE[:] = [root, {}, None]
    return _PAGE[1]


def _leads(root: Any, part: _Part) -> list[Any]:
    memo = _memo(root)
    found = memo.get(part.lead)
    if found is None:
        if part.lookup is not None and _single_root(root):
            index = _PAGE[2]
            if index is None:
                index = _PAGE[2] = _AttrIndex(root)
            found = index.elements(*part.lookup)
        else:
            xpath = _LEAD_XPATHS.get(part.lead)
            if xpath is None:
                xpath = _LEAD_XPATHS[part.lead] = _xpath(part.lead)
            found = xpath(root)
        memo[part.lead] = found
    return found


def _single_root(root: Any) -> bool:
    """`root` is its document's only element at the top: `//@class` then sees exactly the
    attributes `descendant-or-self::*` from `root` does."""
    return next(root.itersiblings(etree.Element), None) is None and \
        next(root.itersiblings(etree.Element, preceding=True), None) is None


def _within(el: Any, context: Any) -> bool:
    """`el` is `context` or lies inside it."""
    return el is context or any(a is context for a in el.iterancestors())


def _document_key(el: Any) -> tuple[int, ...]:
    """Position of an element in document order: its child indices from the root."""
    key = []
    parent = el.getparent()
    while parent is not None:
        key.append(parent.index(el))
        el, parent = parent, parent.getparent()
    key.reverse()
    return tuple(key)


_WHOLE = object()  # "run the whole XPath"


class Query:
    """One CSS selector (or group), compiled: call it on a context node for every match in
    document order (what `Selector.css(css)` returns, as lxml nodes or strings); `first()`
    gives the first match or None."""

    __slots__ = ("css", "parts", "xpath")

    def __init__(self, css: str) -> None:
        self.css = css
        self.xpath = _xpath(css2xpath(css))
        self.parts = _split(css)

    def _by_parts(self, root: Any) -> Any:
        """Matches per selector of the group (non-empty lists only), or _WHOLE when nothing
        remembered for the page helps: the whole XPath is then one walk per selector."""
        assert self.parts is not None
        memo = _memo(root)
        if not any(part.rest is None or part.lookup is not None or part.lead in memo
                   for part in self.parts):
            return _WHOLE
        found = []
        for part in self.parts:
            matches = part.run(root, memo)
            if matches:
                found.append(matches)
        return found

    def _in_subtree(self, context: Any) -> Any:
        """Matches per selector under a page's element (non-empty lists only), from the page's
        attribute index when it is built and every selector is one lookup; else _WHOLE."""
        assert self.parts is not None
        index = _PAGE[2]
        if index is None or not isinstance(context, etree._Element) or \
                any(part.rest is not None or part.lookup is None or not index.has(part.lookup[0])
                    for part in self.parts) or context.getroottree().getroot() is not index.root:
            return _WHOLE
        found = []
        for part in self.parts:
            kind, values, tag = part.lookup  # type: ignore[misc]
            if kind == "tag":
                matches = list(context.iter(tag))
            else:
                matches = [el for el in index.elements(kind, values, tag) if _within(el, context)]
            if matches:
                found.append(matches)
        return found

    def __call__(self, context: Any) -> list[Any]:
        if self.parts is None:
            return self.xpath(context)
        found = self._by_parts(context) if _is_page_root(context) else self._in_subtree(context)
        if found is _WHOLE:
            return self.xpath(context)
        if len(found) <= 1:
            return found[0] if found else []
        merged = {id(el): el for matches in found for el in matches}  # alive in `found`
        return sorted(merged.values(), key=_document_key)

    def first(self, context: Any) -> Any:
        if self.parts is None:
            found = self.xpath(context)
            return found[0] if found else None
        found = self._by_parts(context) if _is_page_root(context) else self._in_subtree(context)
        if found is _WHOLE:
            whole = self.xpath(context)
            return whole[0] if whole else None
        if len(found) <= 1:
            return found[0][0] if found else None
        return min((matches[0] for matches in found), key=_document_key)

    def __repr__(self) -> str:
        return f"Query({self.css!r})"


_COMPILED: dict[str, Query] = {}
_UNIONS: dict[tuple[str, ...], Query | None] = {}


def compile_css(css: str) -> Query:
    """The compiled query of one CSS selector (or comma-separated group), cached for good:
    selectors come from the profiles and the extractor, a fixed and small set."""
    query = _COMPILED.get(css)
    if query is None:
        query = _COMPILED[css] = Query(css)
    return query


def compile_union(selectors: Sequence[str]) -> Query | None:
    """One query for "any of these selectors" (a CSS group: matches in document order, each
    once), or None for no selectors."""
    key = tuple(selectors)
    try:
        return _UNIONS[key]
    except KeyError:
        query = _UNIONS[key] = compile_css(", ".join(key)) if key else None
        return query
