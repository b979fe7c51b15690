"""Compliance: built-in rules MA001-MA013, custom CEL rules, waivers, evaluation into a `Report`."""
