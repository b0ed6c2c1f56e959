"""Versioned scorecards: the engine that scores, the explanations, fitting from data."""
