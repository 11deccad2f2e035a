"""The training evaluation (evaluasi penyelenggaraan): a short survey each trainee answers once,
read only as anonymous aggregates. See docs/surveys.md for the anonymity design."""
