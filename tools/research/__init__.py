"""Research: free sources DataAcquisition asks about a topic before anything is written."""

from tools.research.wikipedia import ResearchUnavailable, WikiPage, Wikipedia, language_note

__all__ = ["ResearchUnavailable", "WikiPage", "Wikipedia", "language_note"]
