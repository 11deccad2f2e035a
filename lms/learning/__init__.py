"""Learning: trainee dashboard, course pages, the lesson reader and progress records."""
