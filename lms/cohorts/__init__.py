"""Cohorts (angkatan): one run of a course, with its enrolment key and participants."""
