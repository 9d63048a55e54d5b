"""Stands in for ``pip uninstall rfc3987-syntax`` in the user image (docs/deploy.md): jsonschema
then skips its optional "iri" format checker, which no Jupyter or kap-notes schema uses, instead
of compiling Earley grammars at every server start."""

raise ImportError("rfc3987-syntax is not installed in the kap-notes user image")
