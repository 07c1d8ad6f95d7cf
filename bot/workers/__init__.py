"""Background work every gateway process runs: the inbox (Rasa calls), the outbox (sends), the sweeper."""
