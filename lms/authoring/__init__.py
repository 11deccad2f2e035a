"""Browser authoring: the course's files kept in the database, drafts, publishing, history, zip round trip."""
