"""The evaluation: the year's rubric, judgments, and the units' scores from the database."""
