"""vpcrawl's Scrapy commands (``COMMANDS_MODULE = "vpcrawl.commands"``): they replace Scrapy's own."""
