"""Versioned scorecards: versions and activation (``models``, ``services``, ``selectors``),
the engine that scores (``engine``, ``features``, ``validation``), shadow comparison
(``shadow``), the explanations (``explain``, ``labels``, ``charts``), fitting from data
(``fitting``) and the shipped default (``default``)."""
