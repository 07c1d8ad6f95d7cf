"""The agent console (/console) and its JSON API (/api): login, the live queue, tickets, supervision."""
