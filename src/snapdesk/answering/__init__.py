"""Understanding a case and composing a grounded answer: intent, relations, passage choice, wording."""
