"""AI ticket parse: engines that extract words, and the resolver that turns words into PSA IDs.

``extract`` and ``resolve`` are pure (no Django, no PSA): they work on plain DTO lists. The public
entry point for views and the API is ``tickets.ai_parse.parse_ticket_prompt``.
"""
