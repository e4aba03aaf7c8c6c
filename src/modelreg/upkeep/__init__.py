"""Keeping a registry's artifact store sound: `verify` re-hashes what the manifests record,
`gc` removes what no manifest references any more (DESIGN §2, issue #6).

Nothing is imported here: `modelreg.upkeep.report` is pure and loads alone.
"""
