"""One module per CMS family; FAMILIES maps the family name to its profile class."""

from __future__ import annotations

from vpcrawl.sites.base import Family
from vpcrawl.sites.families.dnn import DotNetNuke
from vpcrawl.sites.families.joomla import Joomla
from vpcrawl.sites.families.liferay import LiferayVCMS
from vpcrawl.sites.families.mojoportal import MojoPortal
from vpcrawl.sites.families.nukeviet import NukeViet
from vpcrawl.sites.families.threecms import ThreeCMS
from vpcrawl.sites.families.wordpress import WordPress

FAMILIES: dict[str, type[Family]] = {
    f.name: f for f in (NukeViet, MojoPortal, LiferayVCMS, ThreeCMS, DotNetNuke, WordPress, Joomla)
}

__all__ = ["FAMILIES"]
