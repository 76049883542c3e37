"""Example submissions per chapter: complete, untouched, typical wrong answers, hangs, tampering."""
