"""What counts as a secret and how one can be disguised: word commonness (:mod:`privacy.lexicon`),
decodings of an answer (:mod:`privacy.views`) and PII patterns (:mod:`privacy.pii_patterns`).

Pure string work shared by ingest (``kb.fingerprints``) and the judge (``nodes.guards``); it sits
below both, so neither layer has to import the other.
"""
