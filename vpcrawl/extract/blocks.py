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
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

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


@dataclass
class Block:
    kind: str  # "text" | "image" | "caption"
    text: str = ""
    src: str | None = None  # image URL for image blocks
    container: int | None = None  # id() of the nearest figure/table ancestor
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
    root = sel.root if isinstance(sel, Selector) else sel
    if isinstance(root, str):
        return " ".join(root.split())
    parts: list[str] = []
    _collect_text(root, parts)
    return " ".join(" ".join(parts).split())


def element_lines(sel: Selector) -> list[str]:
    """Text of an element split at block tags and <br>: byline boxes hold several lines."""
    walker = _Walker(frozenset(), frozenset(), "")
    walker.walk(sel.root)
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
    def __init__(self, excluded: frozenset[int], captions: frozenset[int], base_url: str) -> None:
        self.excluded = excluded
        self.captions = captions
        self.base_url = base_url
        self.blocks: list[Block] = []
        # text, emphasised, in caption, bold, inside a link to a document file
        self._pieces: list[tuple[str, bool, bool, bool, bool]] = []
        self._doc = 0
        self._br = False  # the last thing seen was a <br> (two in a row end the block)
        self._emph = 0
        self._bold = 0
        self._caption = 0
        self._centred = 0
        self._containers: list[int] = []

    def flush(self) -> None:
        self._br = False
        if not self._pieces:
            return
        text = "\n".join(
            " ".join(line.split()) for line in "".join(p[0] for p in self._pieces).split("\n")
        ).strip("\n")
        while "\n\n" in text:
            text = text.replace("\n\n", "\n")
        if text:
            letters = [p for p in self._pieces if p[0].strip()]
            all_caption = all(p[2] for p in letters)
            all_emph = all(p[1] for p in letters)
            all_bold = all(p[3] for p in letters)
            doc_chars = sum(len(p[0].strip()) for p in letters if p[4])
            if doc_chars and (doc_chars * 2 >= len(text) or ATTACHMENT_LABEL.match(text)):
                self._pieces = []  # an attachment line: the link is kept in `attachments`
                return
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
        self._pieces = []

    def _add(self, text: str | None) -> None:
        if text:
            text = text.replace("\n", " ")  # source newlines are not line breaks; <br> is
            if text.strip():
                self._br = False
            self._pieces.append((text, self._emph > 0, self._caption > 0, self._bold > 0, self._doc > 0))

    def walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or id(el) in self.excluded or tag in SKIP_TAGS:
            return
        tag = tag.lower()
        if tag == "br":
            if self._br:  # <br><br>: the old editors' paragraph break
                self.flush()
            else:
                self._pieces.append(("\n", self._emph > 0, self._caption > 0, self._bold > 0, False))
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
        is_caption = id(el) in self.captions or tag == "figcaption" or bool(
            _CAPTION_CLASS.search(el.get("class", "") or "")
        )
        is_emph = tag in EMPHASIS_TAGS
        is_bold = tag in BOLD_TAGS
        is_doc = tag == "a" and bool(_DOC_EXT.search(el.get("href") or ""))
        is_centred = tag == "center" or el.get("align", "").lower() == "center" or bool(
            _CENTER.search(el.get("style", "") or "")
        )
        is_container = tag in CONTAINER_TAGS
        if is_block:
            self.flush()
        self._caption += is_caption
        self._emph += is_emph
        self._bold += is_bold
        self._doc += is_doc
        self._centred += is_centred
        if is_container:
            self._containers.append(id(el))
        self._add(el.text)
        for child in el:
            self.walk(child)
            self._add(child.tail)
        if is_block:
            self.flush()
        if is_container:
            self._containers.pop()
        self._caption -= is_caption
        self._emph -= is_emph
        self._bold -= is_bold
        self._doc -= is_doc
        self._centred -= is_centred


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
    body: Selector,
    base_url: str,
    exclude: Iterable[Selector] = (),
    captions: Iterable[Selector] = (),
) -> BodyParts:
    """Blocks of text (captions removed) and images with their captions, in page order."""
    walker = _Walker(
        frozenset(id(s.root) for s in exclude),
        frozenset(id(s.root) for s in captions),
        base_url,
    )
    walker.walk(body.root)
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
