"""URL canonicalization: one spelling per document, so state lookups and ids are stable.

Two links to the same article must give the same string (and the same `article_id`), but two
different articles must never collapse. So the generic rules only remove things that are
noise on every site (session ids, tracking tags, print views, sort order of the query); the
CMS-specific rules below fire only on URL shapes that identify the CMS unambiguously
(mojoPortal `ViewPost.aspx?ItemID=`, Liferay `p_p_id`/`/-/` portlet URLs, Joomla
`option=com_`, NukeViet `op=print/`), and everything site-specific (host aliases such as
`www.`/`m.`, `keep_params`) is declared in the site profile through `CanonicalRules`. We never
guess that `www.x` is `x`: on Party portals they are sometimes different sites.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

__all__ = [
    "CanonicalRules",
    "article_id",
    "canonicalize",
    "same_document",
]


@dataclass(frozen=True)
class CanonicalRules:
    """Per-site / per-family extra rules, declared in site profiles.

    Parameter names match case-insensitively. A namespaced Liferay parameter
    (`_<portlet>_articleId`) matches a name `articleId` in `keep_params`/`drop_params`
    because the part after the last `_` is compared too.
    """

    drop_params: frozenset[str] = frozenset()
    drop_param_prefixes: tuple[str, ...] = ()
    keep_params: frozenset[str] | None = None
    strip_path_suffixes: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # hosts compare lowercased; done once here instead of on every URL
        lowered = {k.lower().rstrip("."): v.lower().rstrip(".") for k, v in self.aliases.items()}
        object.__setattr__(self, "aliases", lowered)

    def merged(self, other: CanonicalRules | None) -> CanonicalRules:
        """Family rules + site overrides (site wins on `keep_params`)."""
        if other is None:
            return self
        keep = other.keep_params if other.keep_params is not None else self.keep_params
        return CanonicalRules(
            drop_params=self.drop_params | other.drop_params,
            drop_param_prefixes=self.drop_param_prefixes + other.drop_param_prefixes,
            keep_params=keep,
            strip_path_suffixes=self.strip_path_suffixes + other.strip_path_suffixes,
            aliases={**self.aliases, **other.aliases},
        )


# Session ids and click/campaign tracking: never part of a document's identity.
_DROP_ALWAYS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "fb_action_ids", "fb_action_types", "fb_ref", "fb_source",
        "zarsrc", "gidzl",  # Zalo share links, very common on Vietnamese portals
        "jsessionid", "phpsessid", "sid", "sessionid", "session_id", "aspsessionid",
        "cfid", "cftoken",
        "printable", "isprint",
    }
)  # fmt: skip
_DROP_PREFIXES = ("utm_", "aspsessionid", "__cf_chl_", "pk_", "hsa_")
_TRUE = frozenset({"", "1", "true", "yes", "on", "y"})
# `?view=print`, `?layout=print`, `?mode=print`, `?format=print`
_PRINT_VALUED = frozenset({"view", "layout", "mode", "format", "type", "action"})

# Liferay: portlet state/lifecycle/column params are rendering noise everywhere; paging and
# search state (`_cur`, `_delta`, …) are noise only on a URL that names one article.
_LIFERAY_ALWAYS = frozenset(
    {
        "p_p_lifecycle", "p_p_state", "p_p_mode", "p_p_col_id", "p_p_col_pos",
        "p_p_col_count", "p_p_auth", "p_p_state_rcv", "p_p_cacheability", "p_p_resource_id",
        "p_l_reset", "p_r_p_564233524_resetcur",
    }
)  # fmt: skip
_LIFERAY_NS_ALWAYS = frozenset({"redirect", "backurl", "returntofullpageurl", "resetcur"})
_LIFERAY_NS_ON_ARTICLE = frozenset(
    {"cur", "delta", "keywords", "advancedsearch", "andoperator", "orderbycol",
     "orderbytype", "pagenum", "page", "tabs1"}
)  # fmt: skip
_LIFERAY_ARTICLE_KEYS = frozenset({"articleid", "assetentryid", "entryid", "newsid", "groupid"})

_COOKIELESS_RE = re.compile(r"/\((?:[A-Za-z]\([^()/]*\))+\)(?=/|$)")
_PATH_SESSION_RE = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/?#;]*", re.I)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _name(key: str) -> str:
    """Decoded, lowercased parameter name."""
    return unquote_plus(key).lower()


def _suffix(name: str) -> str:
    """`_vcmsviewcontent_WAR_VCMSportlet_articleid` -> `articleid` (Liferay namespacing)."""
    if name.startswith("_") and "_" in name[1:]:
        return name.rsplit("_", 1)[1]
    return name


def _matches(name: str, names: frozenset[str]) -> bool:
    return name in names or _suffix(name) in names


def _split_query(query: str) -> list[tuple[str, str, str]]:
    """[(raw_piece, lowercased name, decoded value)] keeping w3lib's encoding of each piece."""
    out = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        out.append((piece, _name(key), unquote_plus(value)))
    return out


def _lower_set(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


def _filter_query(path: str, query: str, rules: CanonicalRules) -> str:
    """Drop noise parameters (the path tells which CMS rules may apply)."""
    params = _split_query(query)
    if not params:
        return ""
    names = {n for _, n, _ in params}
    lower_path = path.lower()
    values = {n: v for _, n, v in params}

    is_liferay = "p_p_id" in names or "/-/" in path or any("_war_" in n for n in names)
    liferay_article = is_liferay and any(
        n.startswith("_") and _suffix(n) in _LIFERAY_ARTICLE_KEYS for n in names
    )
    is_joomla = values.get("option", "").startswith("com_") or "index.php" in lower_path
    joomla_article = is_joomla and values.get("view") == "article" and "id" in names
    # mojoPortal: /Article/ViewPost.aspx?pageid=&ItemID=&mid= — the ItemID alone names the post.
    # (DNN's `tabid=&mid=&ItemID=` is left alone: there ItemID is only unique per module.)
    mojo_post = lower_path.endswith(".aspx") and "itemid" in names and "tabid" not in names

    keep = _lower_set(rules.keep_params) if rules.keep_params is not None else None
    drop = _lower_set(rules.drop_params)
    prefixes = tuple(p.lower() for p in (*_DROP_PREFIXES, *rules.drop_param_prefixes))

    kept: list[str] = []
    for piece, name, value in params:
        if keep is not None:
            if _matches(name, keep):
                kept.append(piece)
            continue
        if (
            name in _DROP_ALWAYS
            or name.startswith(prefixes)
            or _matches(name, drop)
            or (name == "print" and value.lower() in _TRUE)
            or (name in _PRINT_VALUED and value.lower() == "print")
        ):
            continue
        if is_liferay and (
            name in _LIFERAY_ALWAYS
            or (name.startswith("_") and _suffix(name) in _LIFERAY_NS_ALWAYS)
        ):
            continue
        if liferay_article and name.startswith("_") and _suffix(name) in _LIFERAY_NS_ON_ARTICLE:
            continue
        if is_liferay and name in {"redirect", "inheritredirect"}:
            continue
        if is_joomla and name == "itemid" and not mojo_post:
            continue  # Joomla menu id: the same article is reachable from every menu
        if joomla_article:
            if name in {"catid", "tmpl"}:
                continue
            if name == "id":
                m = re.match(r"(\d+)(?::|%3A)", piece.partition("=")[2], re.I)
                if m:  # id=123:slug and id=123 are the same article
                    piece = f"id={m.group(1)}"
        if mojo_post and name in {"pageid", "mid"}:
            continue
        if name == "op" and value.lower().startswith("print/"):
            # NukeViet unrewritten print view: op=print/<cat>/<alias>-<id>.html
            piece = piece[:3] + piece[3:].replace("print%2F", "", 1).replace("print/", "", 1)
        kept.append(piece)
    return "&".join(kept)


def _clean_path(path: str, rules: CanonicalRules) -> str:
    path = _PATH_SESSION_RE.sub("", path)
    path = _COOKIELESS_RE.sub("", path) or "/"
    # print views: a `print` path segment (`/…/print`, NukeViet `/news/print/<cat>/<slug>.html`)
    segments = path.split("/")
    if any(s.lower() == "print" for s in segments[1:]):
        if len(segments) > 2 and segments[-1] == "" and segments[-2].lower() == "print":
            segments = segments[:-1]  # `/a.html/print/` -> `/a.html`, like `/a.html/print`
        segments = [s for i, s in enumerate(segments) if i == 0 or s.lower() != "print"]
        path = "/".join(segments) or "/"
    for suffix in rules.strip_path_suffixes:
        bare = suffix.rstrip("/")
        low = path.lower()
        for cand in (bare + "/", bare):
            if cand and low.endswith(cand.lower()) and len(path) > len(cand):
                path = path[: -len(cand)] or "/"
                break
    return path or "/"


def _clean_host(scheme: str, netloc: str, rules: CanonicalRules) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        host, port = hostport[: end + 1], hostport[end + 2 :]
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower().rstrip(".")
    host = rules.aliases.get(host, host)
    if port == _DEFAULT_PORTS.get(scheme) or port == "":
        port = ""
    return (userinfo + at if at else "") + host + (":" + port if port else "")


def canonicalize(url: str, rules: CanonicalRules | None = None) -> str:
    """The one spelling of `url` used as the state key (see the module docstring)."""
    rules = rules or CanonicalRules()
    url = url.strip()
    # path session params must go before w3lib, which keeps `;params` on the last segment
    parts = urlsplit(url)
    if ";" in parts.path or "(" in parts.path:
        url = urlunsplit(parts._replace(path=_clean_path(parts.path, CanonicalRules())))
    canon = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(canon)
    scheme = parts.scheme.lower()
    netloc = _clean_host(scheme, parts.netloc, rules)
    path = _clean_path(parts.path, rules)
    query = _filter_query(path, parts.query, rules)
    return urlunsplit((scheme, netloc, path, query, ""))


def _schemeless(canonical_url: str) -> str:
    _, sep, rest = canonical_url.partition("://")
    return rest if sep else canonical_url


def article_id(canonical_url: str) -> str:
    """Stable 16-hex id: blake2b-64 of the canonical URL *without its scheme*.

    Ignoring the scheme keeps ids (and state) when a portal moves from http to https.
    """
    digest = hashlib.blake2b(_schemeless(canonical_url).encode("utf-8"), digest_size=8)
    return digest.hexdigest()


def same_document(a: str, b: str, rules: CanonicalRules | None = None) -> bool:
    """True when two URLs canonicalize to the same document, ignoring http vs https."""
    return _schemeless(canonicalize(a, rules)) == _schemeless(canonicalize(b, rules))


_SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sid", "sessionid", "session_id",
                             "aspsessionid", "cfid", "cftoken"})


def strip_session(url: str) -> str:
    """The URL without session ids and tracking tags, otherwise exactly as given.

    Used on every link before it is requested: a portal that appends a fresh session id to
    every link would otherwise look like an endless site (a crawler trap). Unlike
    `canonicalize`, it keeps parameter order and CMS parameters, so the server gets the URL
    it expects.
    """
    parts = urlsplit(url)
    path = _COOKIELESS_RE.sub("", _PATH_SESSION_RE.sub("", parts.path))
    if parts.query:
        kept = []
        for pair in parts.query.split("&"):
            name = unquote_plus(pair.split("=", 1)[0]).lower()
            if name in _SESSION_PARAMS or name in _DROP_ALWAYS or name.startswith(_DROP_PREFIXES):
                continue
            kept.append(pair)
        query = "&".join(kept)
    else:
        query = ""
    if path == parts.path and query == parts.query:
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))
