"""The evaluation: the rubric as data, its rule types and a unit's score (pure)."""
