"""Domain vocabulary and data: codes, transfer objects, geography, gazetteer."""
