"""Quizzes: question banks, course quiz files, GIFT/Aiken import, attempts, grading, statistics."""
