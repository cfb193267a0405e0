"""Rules of the administrative-offence procedure (OWiG): limitation and Verwarnung.

Pure functions on dates and amounts; the case service applies them and stores the results.
"""
