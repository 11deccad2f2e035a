"""Accounts: users, roles, login, registration with an enrolment key, profile."""
