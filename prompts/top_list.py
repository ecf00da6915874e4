"""The prompt for writing a "Top N" countdown script over catalogue products with a language model."""

from __future__ import annotations

from prompts.templates import Prompt

# $products is one line per product, "#1" (the best) first, as tools.text.top_list.products_block writes it.
TOP_LIST_SCRIPT = Prompt(
    "top_list_script",
    """You write the script of a short "Top N" countdown video about $topic.
Target length: $duration_s seconds, at most $max_words words of narration in total. Each scene has a word
budget; keep every scene within it (the hook counts in the first scene, the call to action in the last):
$budgets
A script over budget is cut by dropping whole sentences, so count your words.

The products, already ranked, #1 (the best) first. Each line gives the only fields you may use:
name, price, rating, features and link (and the source to cite).
$products

Rules:
- State only what these fields say. Never invent or estimate a price, rating, feature, number, award or
  comparison, and never mention a product that is not listed.
- Keep the ranking exactly as given. Write one scene per product and count down: the first scene presents
  the last-ranked product, the last scene presents #1.
- Each scene's on_screen_text is "#k Name" (k is the product's rank), at most 32 characters; shorten a long
  name at a word boundary. Its visual is "product photo: Name". Its sources hold that product's source.
- The hook opens the first scene and says how many products are ranked. The call to action closes the last
  scene and says the links are in the description.
- The title starts with "Top N", where N is the number of products.
- The description is a one-sentence summary followed by one line per product, "#k Name — price — link",
  with every link given above and no other links.

Return JSON with: title, hook, scenes (each with narration, on_screen_text, visual, sources),
call_to_action, description, tags.""",
)

ALL = (TOP_LIST_SCRIPT,)
