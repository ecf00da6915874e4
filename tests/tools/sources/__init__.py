"""Tests of the typed source readers: files, folders, pages, feeds, catalogues, Airtable and a product API."""
