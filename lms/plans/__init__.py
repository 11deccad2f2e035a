"""Action plans (RTL): drafted by trainees, reviewed by their cohort's facilitators."""
