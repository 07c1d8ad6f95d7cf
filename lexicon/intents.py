"""Groups of intents of the catalog (domain.yml) that the pipeline's rules and the actions treat alike."""

from __future__ import annotations

# Intents that ask or report something concrete (not small talk, anger, a person or elsewhere): questions
# we answer from content, and reports that open the complaint form.
QUESTIONS = ("ask_mask_booking", "ask_booking_result", "ask_mask_pickup", "ask_announcement")
REPORTS = ("report_price_gouging", "report_fake_goods", "complain_other")
REQUESTS = (*QUESTIONS, *REPORTS)
