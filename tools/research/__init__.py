"""Research: free sources DataAcquisition asks about a topic before anything is written."""

from tools.research.wikipedia import ResearchUnavailable, WikiPage, Wikipedia

__all__ = ["ResearchUnavailable", "WikiPage", "Wikipedia"]
