"""Pure text helpers for Vietnamese portal pages (no Scrapy).

Order used by the clean pipeline: ``legacy.decode_html_bytes`` / ``legacy.detect_and_convert``
(legacy fonts first: TCVN3 hides the letter ư in U+00AD), then ``normalize.clean_text``,
``boilerplate.clean_blocks``, ``byline.split_byline``; ``normalize.tone_key`` for keys.
"""

from vpcrawl.text.boilerplate import clean_blocks, is_boilerplate_line, is_stop_marker
from vpcrawl.text.byline import Byline, parse_byline, split_byline, split_dateline
from vpcrawl.text.legacy import decode_html_bytes, detect_and_convert
from vpcrawl.text.normalize import clean_text, fold_punct, restyle_tones, tone_key

__all__ = [
    "Byline",
    "clean_blocks",
    "clean_text",
    "decode_html_bytes",
    "detect_and_convert",
    "fold_punct",
    "is_boilerplate_line",
    "is_stop_marker",
    "parse_byline",
    "restyle_tones",
    "split_byline",
    "split_dateline",
    "tone_key",
]
