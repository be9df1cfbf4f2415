"""Inventories from what municipalities already have: SBOMs (CycloneDX, SPDX), Intune,
SCCM and CMDB exports (CSV), and the coverage check.

Modules: `sbom` (CycloneDX and SPDX readers, `Component`, `InputError`), `table` (CSV reader,
presets, column mapping), `noise` (the editable ignore list), `merge` (components -> items,
re-import merge and diff), `filing` (the file on disk, atomic writes, the subscriber file's
reference), `importing` (``inventory import``), `check` (``inventory check``), `commands`
(the command line). The file format itself is `certbot.config.inventories`.
"""
