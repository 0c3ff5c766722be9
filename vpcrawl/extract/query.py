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
`.article_content`, `#Author`, maybe with `[a]` / `[a=v]` tests) is looked up in the page's
attribute index (every `class` and `id` attribute, from one `//@class` and one `//@id` walk;
until a tagless `.word` is asked, `tag.word` reads that tag's elements only), a bare tag (or
`tag[a=v]`) with lxml's `iter(tag)`; once the index is built, selectors of that kind are
answered from it under any element of the page too (the body's excluded widgets, its
captions). A group of such bare tags (`a[href], a[onclick]`, `link[rel=canonical]`) is one
`iter()` under any element, and `<selector>::attr(name)` reads the attribute of the
selector's elements. Under a small element (a listing entry) `scan()` matches selectors of
tags, classes, ids and attribute tests joined by ` ` and `>` in Python: an XPath evaluation
costs more there than looking at the entry's few nodes.

What is remembered belongs to the latest page root queried (held, like `generic.meta_table`'s
cache, until another page is queried): a page must not be modified between its queries, which
extraction never does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cssselect import parse as parse_css
from cssselect.parser import Attrib, Class, CombinedSelector, Element, FunctionalPseudoElement, Hash
from cssselect.parser import Selector as ParsedSelector
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


def _split(selectors: Sequence[Any]) -> tuple[_Part, ...] | None:
    """Per selector of the group: the XPath of its leftmost compound, the compiled XPath of
    the rest of its path relative to a node that compound matched (None when there is no
    rest) and from a node-set of them (`$leads/...`), and its whole compiled XPath.
    None when a selector has a pseudo-element (`::text`, `::attr()`) or does not translate to
    `<leftmost compound>/<rest>`: the query then always runs whole."""
    parts = []
    for selector in selectors:
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
        parts.append(_Part(lead, _xpath("." + rest) if rest else None, _xpath("$leads" + rest) if rest else None,
                           _xpath(full), _lookup(tree)))
    return tuple(parts)


def _lookup(compound: Any) -> _Lookup | None:
    """("class", words, tag, conditions) for a compound `tag.w1.w2[a=v]` / `.w1` (classes, maybe
    attribute tests), ("id", (value,), tag, conditions) for `tag#value` / `#value`: leads the
    page's attribute index answers; ("tag", (), tag, conditions) for a bare `tag` or `tag[a]`,
    `tag[a=v]`, `tag[a][b=w]`: lxml's `iter(tag)` answers it. None otherwise (see
    `_compound_test`)."""
    test = _compound_test(compound)
    if test is None:
        return None
    tag, classes, ident, conditions = test
    if ident is not None:
        return ("id", (ident,), tag, conditions) if not classes else None
    if classes:
        return ("class", classes, tag, conditions)
    return ("tag", (), tag, conditions) if tag is not None else None


_Condition = tuple[str, str | None]  # attribute name, and the value it equals (None: present)
_Lookup = tuple[str, tuple[str, ...], str | None, tuple[_Condition, ...]]


def _meets(el: Any, conditions: tuple[_Condition, ...]) -> bool:
    for name, value in conditions:
        found = el.get(name)
        if found is None or (value is not None and found != value):
            return False
    return True


_SAFE_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]*$").match  # cssselect's is_safe_name
_NON_WHITESPACE = re.compile(r"^[^ \t\r\n\f]+$").match  # cssselect's is_non_whitespace
_XPATH_SPACE = re.compile(r"[ \t\r\n]+")  # what normalize-space() collapses
_CLASS_ATTRS = etree.XPath("//@class", smart_strings=True)
_ID_ATTRS = etree.XPath("//@id", smart_strings=True)


def _word_table(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    """Class word -> what carries it (elements, or `@class` results), in document order, once each."""
    table: dict[str, list[Any]] = {}
    for value, target in pairs:
        for word in _words(value):
            found = table.get(word)
            if found is None:
                if word:
                    table[word] = [target]
            elif found[-1] is not target:
                found.append(target)
    return table


class _AttrIndex:
    """The page's `class` and `id` attributes by class word and by value, in document order
    (two walks of the tree in all, however many `tag.word` and `#value` leads are asked).

    A `tag.word` lead asked before any tagless `.word` one reads the class words of that
    tag's elements only (one `iter(tag)`): a listing page asks a few `div.x`, `ul.y` leads,
    and reading every class attribute of the page costs more than those few tags do."""

    __slots__ = ("_by_tag", "_classes", "_ids", "root")

    def __init__(self, root: Any) -> None:
        self.root = root
        self._classes: dict[str, list[Any]] | None = None
        self._ids: dict[str, list[Any]] | None = None
        self._by_tag: dict[str, dict[str, list[Any]]] = {}

    def _tag_classes(self, tag: str) -> dict[str, list[Any]]:
        """The class words of the page's `tag` elements, from one `iter(tag)`."""
        table = self._by_tag.get(tag)
        if table is None:
            table = self._by_tag[tag] = _word_table(
                (value, el) for el in self.root.iter(tag) if (value := el.get("class")))
        return table

    def has(self, kind: str) -> bool:
        """The table for this kind of lookup is built (or needs none)."""
        return kind == "tag" or (self._classes if kind == "class" else self._ids) is not None

    def elements(self, kind: str, values: tuple[str, ...], tag: str | None,
                 conditions: tuple[_Condition, ...] = ()) -> list[Any]:
        """`descendant-or-self::tag[<class words / id / attribute test>]` from the page's root
        element."""
        if kind == "tag":
            if conditions:
                return [el for el in self.root.iter(tag) if _meets(el, conditions)]
            return list(self.root.iter(tag))
        if kind == "class" and self._classes is None and tag is not None:
            # `tag.word` before the whole class table is built: that tag's elements only
            els = self._tag_classes(tag).get(values[0], ())
            if len(values) > 1:
                els = [el for el in els if all(w in _words(el.get("class")) for w in values[1:])]
            return [el for el in els if _meets(el, conditions)] if conditions else list(els)
        if kind == "class":
            table = self._classes
            if table is None:
                table = self._classes = _word_table((attr, attr) for attr in _CLASS_ATTRS(self.root))
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
        if tag is not None:
            owners = [el for el in owners if el.tag == tag]
        return [el for el in owners if _meets(el, conditions)] if conditions else owners


def _words(value: str) -> list[str]:
    """The words `contains(concat(' ', normalize-space(@class), ' '), ' w ')` finds (and
    maybe empty strings); a printable string has no whitespace but the space."""
    return value.split() if value.isprintable() else _XPATH_SPACE.split(value)


class _Part:
    """One selector of a group, split at its leftmost compound (see `_split`)."""

    __slots__ = ("from_leads", "lead", "lookup", "rest", "whole")

    def __init__(self, lead: str, rest: etree.XPath | None, from_leads: etree.XPath | None,
                 whole: etree.XPath, lookup: _Lookup | None) -> None:
        self.lead = lead
        self.rest = rest
        self.from_leads = from_leads
        self.whole = whole
        self.lookup = lookup

    def run(self, root: Any, memo: dict[str, list[Any]]) -> list[Any]:
        """This selector's matches on a page root: the lead's matches (remembered, or from the
        attribute index), then the rest of the path from them, which walks their sub-trees
        (or siblings) only: `$leads/<rest>`, with `$leads` every node the leftmost compound
        matches, is the whole path's node-set, in document order."""
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
        return self.from_leads(root, leads=leads)  # type: ignore[misc]


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


def _attribute_of(selectors: list[Any], whole: str) -> str | None:
    """`name` for a single `<selector>::attr(name)` whose XPath is the selector's own plus
    `/@name` (an element's attribute, at most one per element: the matches' values, in their
    order, are the attribute nodes the XPath gives); else None."""
    if len(selectors) != 1:
        return None
    pseudo = selectors[0].pseudo_element
    if not isinstance(pseudo, FunctionalPseudoElement) or pseudo.name != "attr" or len(pseudo.arguments) != 1:
        return None
    name = pseudo.arguments[0].value
    if not isinstance(name, str) or not _SAFE_NAME(name) or ":" in name:
        return None
    element = ParsedSelector(selectors[0].parsed_tree, None)
    if whole != _TRANSLATOR.selector_to_xpath(element, _PREFIX, translate_pseudo_elements=True) + "/@" + name:
        return None
    return name


def _scan_of(parts: tuple[_Part, ...] | None) -> tuple[tuple[str, ...], dict[str, list[Any]]] | None:
    """For a group of bare compounds `tag`, `tag[a]`, `tag[a=v]` (no combinator, no class or
    id): the tags, and each tag's attribute tests. One `iter(*tags)` from any element then
    gives the group's matches in document order, each once."""
    if not parts or any(part.rest is not None or part.lookup is None or part.lookup[0] != "tag"
                        for part in parts):
        return None
    tests: dict[str, list[Any]] = {}
    for part in parts:
        _, _, tag, conditions = part.lookup  # type: ignore[misc]
        tests.setdefault(tag, []).append(conditions)
    return tuple(tests), tests


_Test = tuple[str | None, tuple[str, ...], str | None, tuple[_Condition, ...]]


def _compound_test(compound: Any) -> _Test | None:
    """(tag or None for `*`, class words, id, attribute tests) of a compound made of a tag,
    classes, an id and `[a]` / `[a=v]` attributes, as HTMLTranslator reads them (tag and
    attribute names lower-cased, values as written); None for anything else (pseudo-classes,
    other attribute operators, namespaces)."""
    classes: list[str] = []
    conditions: list[_Condition] = []
    ident = None
    while True:
        if isinstance(compound, Class):
            word = compound.class_name
            if not word or not _NON_WHITESPACE(word):
                return None
            classes.append(word)
        elif isinstance(compound, Hash):
            if ident is not None:
                return None
            ident = compound.id
        elif isinstance(compound, Attrib):
            if compound.namespace is not None or compound.operator not in ("exists", "="):
                return None
            name = compound.attrib.lower()
            if not _SAFE_NAME(name) or ":" in name:
                return None
            conditions.append((name, compound.value.value if compound.operator == "=" else None))
        else:
            break
        compound = compound.selector
    if not isinstance(compound, Element) or compound.namespace is not None:
        return None
    tag = compound.element
    if tag is not None:
        if not _SAFE_NAME(tag):
            return None
        tag = tag.lower()
    classes.reverse()  # as written (the index looks the first one up)
    return tag, tuple(classes), ident, tuple(conditions)


def _passes(el: Any, test: _Test) -> bool:
    """`el` is an element the compound matches: `self::tag[@class ... and @id = ... and @a]`."""
    tag, classes, ident, conditions = test
    if tag is not None:
        if el.tag != tag:
            return False
    elif not isinstance(el.tag, str):
        return False  # `*`: elements only
    if ident is not None and el.get("id") != ident:
        return False
    if classes:
        value = el.get("class")
        if not value:
            return False
        words = _words(value)
        for word in classes:
            if word not in words:
                return False
    return not conditions or _meets(el, conditions)


_Chain = tuple[tuple[_Test, str | None], ...]  # (compound, combinator to its left), left first


def _chains_of(selectors: Sequence[Any]) -> tuple[_Chain, ...] | None:
    """Each selector as compounds joined by descendant (` `) and child (`>`) combinators; None
    when some selector is anything else."""
    chains = []
    for selector in selectors:
        if selector.pseudo_element is not None:
            return None
        tree = selector.parsed_tree
        steps = []
        while isinstance(tree, CombinedSelector):
            test = _compound_test(tree.subselector)
            if test is None or tree.combinator not in (" ", ">"):
                return None
            steps.append((test, tree.combinator))
            tree = tree.selector
        test = _compound_test(tree)
        if test is None:
            return None
        steps.append((test, None))
        steps.reverse()
        chains.append(tuple(steps))
    return tuple(chains)


def _left_matches(el: Any, chain: _Chain, i: int, context: Any) -> bool:
    """`el` (inside `context`) passes compound i of the chain: compounds 0..i-1 match to its
    left, every one at `context` or inside it (`descendant-or-self::A/descendant-or-self::*/B`,
    `descendant-or-self::A/B`)."""
    while i:
        test = chain[i - 1][0]
        if chain[i][1] == ">":
            if el is context:
                return False
            el = el.getparent()
            if el is None or not _passes(el, test):
                return False
            i -= 1
            continue
        while el is not context:
            el = el.getparent()
            if el is None:
                return False
            if _passes(el, test) and _left_matches(el, chain, i - 1, context):
                return True
        return False
    return True


class Query:
    """One CSS selector (or group), compiled: call it on a context node for every match in
    document order (what `Selector.css(css)` returns, as lxml nodes or strings); `first()`
    gives the first match or None.

    A group of bare tags with attribute tests (`a[href], a[onclick]`, `link[rel=canonical]`)
    is one `iter()` of the tags under any element; `<selector>::attr(name)` is the selector's
    elements' `name` attribute. `scan()` / `scan_first()` match under a small element (a
    listing entry) in Python instead: selectors of tags, classes, ids and `[a]` / `[a=v]`
    joined by ` ` and `>` are tested on the element's nodes, cheaper there than an XPath
    evaluation, dearer on a large subtree."""

    __slots__ = ("attr", "chain_tags", "chains", "css", "parts", "scan_tags", "xpath")

    def __init__(self, css: str) -> None:
        self.css = css
        whole = css2xpath(css)
        self.xpath = _xpath(whole)
        selectors = parse_css(css)
        self.attr = _attribute_of(selectors, whole)
        if self.attr is not None:
            selectors = [ParsedSelector(selectors[0].parsed_tree, None)]
        self.parts = _split(selectors)
        self.scan_tags = _scan_of(self.parts)
        self.chains = _chains_of(selectors)
        # the tags of the rightmost compounds (what to walk), or () for `*`: every element
        tags = {chain[-1][0][0] for chain in self.chains} if self.chains else set()
        self.chain_tags = () if None in tags else tuple(sorted(tags))  # type: ignore[arg-type]

    def _scanned(self, context: Any) -> Iterator[Any]:
        assert self.scan_tags is not None
        tags, tests = self.scan_tags
        for el in context.iter(*tags):
            for conditions in tests.get(el.tag, ()):
                if _meets(el, conditions):
                    yield el
                    break

    def _elements(self, context: Any) -> Any:
        """The element matches in document order, or _WHOLE: run the whole XPath."""
        if self.scan_tags is not None and isinstance(context, etree._Element):
            return list(self._scanned(context))
        if self.parts is None:
            return _WHOLE
        found = self._by_parts(context) if _is_page_root(context) else self._in_subtree(context)
        if found is _WHOLE:
            return _WHOLE
        if len(found) <= 1:
            return found[0] if found else []
        merged = {id(el): el for matches in found for el in matches}  # alive in `found`
        return sorted(merged.values(), key=_document_key)

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
            kind, values, tag, conditions = part.lookup  # type: ignore[misc]
            if kind == "tag":
                matches = [el for el in context.iter(tag) if _meets(el, conditions)]
            else:
                matches = [el for el in index.elements(kind, values, tag, conditions) if _within(el, context)]
            if matches:
                found.append(matches)
        return found

    def _attr_values(self, elements: Iterable[Any]) -> Iterator[str]:
        """`::attr(name)`: the `name` attribute of each element that has one, in order."""
        name = self.attr
        return (value for el in elements if (value := el.get(name)) is not None)

    def __call__(self, context: Any) -> list[Any]:
        found = self._elements(context)
        if found is _WHOLE:
            return self.xpath(context)
        return found if self.attr is None else list(self._attr_values(found))

    def first(self, context: Any) -> Any:
        if self.scan_tags is not None and isinstance(context, etree._Element):
            scanned = self._scanned(context)
            return next(scanned if self.attr is None else self._attr_values(scanned), None)
        if self.attr is not None:
            found = self(context)
            return found[0] if found else None
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

    def _chained(self, context: Any) -> Iterator[Any]:
        assert self.chains is not None
        chains = self.chains
        for el in context.iter(*self.chain_tags) if self.chain_tags else context.iter(etree.Element):
            for chain in chains:
                last = len(chain) - 1
                if _passes(el, chain[last][0]) and _left_matches(el, chain, last, context):
                    yield el
                    break

    def scan(self, context: Any) -> list[Any]:
        """What calling the query gives, for a small element (see the class)."""
        if self.chains is None or not isinstance(context, etree._Element):
            return self(context)
        chained = self._chained(context)
        return list(chained if self.attr is None else self._attr_values(chained))

    def scan_first(self, context: Any) -> Any:
        """What `first()` gives, for a small element (see the class)."""
        if self.chains is None or not isinstance(context, etree._Element):
            return self.first(context)
        chained = self._chained(context)
        return next(chained if self.attr is None else self._attr_values(chained), None)

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
