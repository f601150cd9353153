"""Complaints from the public (投诉), one ticket each (一事一单): intake, routing,
first-responder ownership, statutory deadlines on a working-day calendar, and closure
with a reply the complainant sees."""
