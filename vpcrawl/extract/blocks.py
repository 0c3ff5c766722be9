"""Turn an HTML subtree into ordered text blocks and images, separating photo captions.

One walk over the lxml tree (no re-parsing): block-level tags and `<br>` end a block, `<img>`
becomes an image block, and a short text block right after an image is its caption when it is
marked as one (caption selector, `figcaption`, a class naming a caption), shares the image's
`figure`/`table`, or is wholly emphasised/centred the way portal editors write captions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from vpcrawl.extract.query import node

BLOCK_TAGS = frozenset(
    "p div section article main header footer aside h1 h2 h3 h4 h5 h6 li ul ol dl dt dd "
    "blockquote table thead tbody tfoot tr td th figure figcaption pre center address hr".split()
)
SKIP_TAGS = frozenset(
    "script style noscript iframe button select input textarea svg object embed template "
    "nav audio video canvas map link meta head".split()
)
EMPHASIS_TAGS = frozenset({"em", "i"})
BOLD_TAGS = frozenset({"strong", "b"})
CONTAINER_TAGS = frozenset({"figure", "table"})
_CAPTION_CLASS = re.compile(r"caption|image[-_]?desc|img[-_]?desc|chuthich|chu-thich|photo[-_]?desc", re.I)
_CENTER = re.compile(r"text-align\s*:\s*center", re.I)
_DOC_EXT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|rar|zip)(?:$|\?)", re.I)
MAX_CAPTION_CHARS = 300
ATTACHMENT_LABEL = re.compile(r"(?:tài liệu|tập tin|file|tệp)\s+đính kèm|tải về|download", re.I)


@dataclass(slots=True)
class Block:
    kind: str  # "text" | "image" | "caption"
    text: str = ""
    src: str | None = None  # image URL for image blocks
    container: Any = None  # the nearest figure/table ancestor (element)
    emphasised: bool = False  # every character inside <em>/<i>
    bold: bool = False  # every character inside <strong>/<b> (how editors mark a lead)
    centred: bool = False


@dataclass
class BodyParts:
    blocks: list[str] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    first_block_bold: bool = False  # the first text block is wholly bold: a lead in the body


def element_text(sel: Selector | etree._Element | None) -> str:
    """Visible text of one element with whitespace collapsed (for titles, dates, bylines)."""
    if sel is None:
        return ""
    root = node(sel)
    if isinstance(root, str):
        return " ".join(root.split())
    parts: list[str] = []
    _collect_text(root, parts)
    return " ".join(" ".join(parts).split())


def element_lines(sel: Selector | etree._Element) -> list[str]:
    """Text of an element split at block tags and <br>: byline boxes hold several lines."""
    walker = _Walker(frozenset(), frozenset(), "")
    walker.walk(node(sel))
    walker.flush()
    return [b.text for b in walker.blocks if b.kind != "image" and b.text]


def _collect_text(el: etree._Element, parts: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else None
    if tag is not None and tag not in SKIP_TAGS:
        if el.text:
            parts.append(el.text)
        for child in el:
            _collect_text(child, parts)
            if child.tail:
                parts.append(child.tail)
    if tag == "br":
        parts.append(" ")


class _Walker:
    """One walk over a subtree: text blocks (split at block tags and <br><br>) and images.

    A block's flags (all caption / emphasised / bold, characters inside document links) are
    kept up to date as its text pieces arrive, so closing a block is one join of its pieces.
    """

    def __init__(self, excluded: frozenset[int], captions: frozenset[int], base_url: str) -> None:
        self.excluded = excluded
        self.captions = captions
        self.base_url = base_url
        self.blocks: list[Block] = []
        self._pieces: list[str] = []  # text of the current block, "\n" for a <br>
        # over the pieces holding more than whitespace: all in a caption / <em> / <b>, and
        # the characters inside a link to a document file
        self._all_caption = True
        self._all_emph = True
        self._all_bold = True
        self._doc_chars = 0
        self._letters = False  # some piece holds more than whitespace
        self._doc = 0
        self._br = False  # the last thing seen was a <br> (two in a row end the block)
        self._emph = 0
        self._bold = 0
        self._caption = 0
        self._centred = 0
        self._containers: list[Any] = []

    def flush(self) -> None:
        self._br = False
        pieces = self._pieces
        if not pieces:
            return
        self._pieces = []
        if not self._letters:
            return  # only whitespace and line breaks: no text
        self._letters = False
        all_caption, all_emph, all_bold, doc_chars = self._all_caption, self._all_emph, self._all_bold, \
            self._doc_chars
        self._all_caption = self._all_emph = self._all_bold = True
        self._doc_chars = 0
        text = "".join(pieces)
        if "\n" in text:
            # lines (<br>) collapsed one by one; empty lines dropped
            text = "\n".join([line for line in map(_squash, text.split("\n")) if line])
        else:
            text = _squash(text)
        if not text:
            return
        if doc_chars and (doc_chars * 2 >= len(text) or ATTACHMENT_LABEL.match(text)):
            return  # an attachment line: the link is kept in `attachments`
        self.blocks.append(
            Block(
                kind="caption" if all_caption else "text",
                text=text,
                container=self._containers[-1] if self._containers else None,
                emphasised=all_emph,
                bold=all_bold,
                centred=self._centred > 0,
            )
        )

    def _add(self, text: str | None) -> None:
        if text:
            if "\n" in text:
                text = text.replace("\n", " ")  # source newlines are not line breaks; <br> is
            if not text.isspace():
                self._br = False
                self._letters = True
                if not self._caption:
                    self._all_caption = False
                if not self._emph:
                    self._all_emph = False
                if not self._bold:
                    self._all_bold = False
                if self._doc:
                    self._doc_chars += len(text.strip())
            self._pieces.append(text)

    def walk(self, el: etree._Element) -> None:
        tag = el.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS or id(el) in self.excluded:
            return
        tag = tag.lower()
        if tag == "br":
            if self._br:  # <br><br>: the old editors' paragraph break
                self.flush()
            else:
                self._pieces.append("\n")
                self._br = True
            return
        if tag == "img":
            self.flush()
            src = _image_src(el)
            if src:
                self.blocks.append(
                    Block(kind="image", src=urljoin(self.base_url, src),
                          container=self._containers[-1] if self._containers else None)
                )
                title = " ".join((el.get("title") or "").split())
                if title and "caption" in (el.get("class") or "").split():
                    # Joomla's caption.js renders the title of <img class="caption"> as its caption
                    self.blocks.append(Block(kind="caption", text=title))
            return
        is_block = tag in BLOCK_TAGS
        if is_block:
            self.flush()
        cls = el.get("class")
        is_caption = tag == "figcaption" or id(el) in self.captions or bool(cls and _CAPTION_CLASS.search(cls))
        is_emph = tag in EMPHASIS_TAGS
        is_bold = tag in BOLD_TAGS
        is_doc = False
        if tag == "a":
            href = el.get("href")
            is_doc = bool(href and _DOC_EXT.search(href))
        style = el.get("style")
        is_centred = tag == "center" or el.get("align", "").lower() == "center" or bool(
            style and _CENTER.search(style)
        )
        is_container = tag in CONTAINER_TAGS
        marked = is_caption or is_emph or is_bold or is_doc or is_centred
        if marked:
            self._caption += is_caption
            self._emph += is_emph
            self._bold += is_bold
            self._doc += is_doc
            self._centred += is_centred
        if is_container:
            self._containers.append(el)
        text = el.text
        if text:
            self._add(text)
        walk, add = self.walk, self._add
        for child in el:
            walk(child)
            tail = child.tail
            if tail:
                add(tail)
        if is_block:
            self.flush()
        if is_container:
            self._containers.pop()
        if marked:
            self._caption -= is_caption
            self._emph -= is_emph
            self._bold -= is_bold
            self._doc -= is_doc
            self._centred -= is_centred


def _squash(line: str) -> str:
    """`" ".join(line.split())`, without splitting the (usual) line that has nothing to
    collapse: no run of spaces and no whitespace but the space (every other whitespace
    character is unprintable)."""
    if "  " not in line and line.isprintable():
        return line.strip(" ")
    return " ".join(line.split())


def _image_src(img: etree._Element) -> str | None:
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        src = (img.get(attr) or "").strip()
        if src and not src.startswith("data:"):
            break
    else:
        return None
    for dim in ("width", "height"):
        value = (img.get(dim) or "").strip().rstrip("px")
        if value.isdigit() and int(value) <= 32:
            return None  # icons, spacers, tracking pixels
    return src


def _is_caption_after_image(prev: Block, block: Block) -> bool:
    if block.kind == "caption":
        return True
    if len(block.text) > MAX_CAPTION_CHARS:
        return False
    same_container = block.container is not None and block.container == prev.container
    return same_container or block.emphasised or block.centred


def body_parts(
    body: Selector | etree._Element,
    base_url: str,
    exclude: Iterable[Selector | etree._Element] = (),
    captions: Iterable[Selector | etree._Element] = (),
) -> BodyParts:
    """Blocks of text (captions removed) and images with their captions, in page order.

    `exclude` and `captions` are elements (or Selectors) of the subtree, matched by identity:
    the lists are held until the walk ends, so their lxml proxies stay the same objects."""
    excluded = [node(s) for s in exclude]
    caption_els = [node(s) for s in captions]
    walker = _Walker(frozenset(map(id, excluded)), frozenset(map(id, caption_els)), base_url)
    walker.walk(node(body))
    walker.flush()
    parts = BodyParts()
    last_image: dict[str, str | None] | None = None
    prev: Block | None = None
    for block in walker.blocks:
        if block.kind == "image":
            last_image = {"url": block.src, "caption": None}
            parts.images.append(last_image)
        elif prev is not None and prev.kind == "image" and last_image is not None and \
                _is_caption_after_image(prev, block):
            last_image["caption"] = block.text
            block = Block(kind="caption", text=block.text)
        elif prev is not None and prev.kind == "caption" and block.kind == "caption" and last_image:
            last_image["caption"] = f"{last_image['caption']} {block.text}".strip()
        elif block.kind == "caption":
            if last_image is not None and last_image["caption"] is None:
                last_image["caption"] = block.text
        else:
            if not parts.blocks:
                parts.first_block_bold = block.bold
            parts.blocks.append(block.text)
        prev = block
    return parts


def is_document_link(href: str) -> bool:
    return bool(_DOC_EXT.search(href))


def document_type(href: str) -> str | None:
    m = _DOC_EXT.search(href)
    return m.group(1).lower() if m else None
