"""What each platform target needs before a job may name it, as a person sets it up."""

TARGET_NEEDS: dict[str, str] = {
    "gallery": "it needs nothing",
    "youtube": "run 'reelforge auth youtube' first (it needs YOUTUBE_CLIENT_SECRETS)",
    "wordpress": "set WORDPRESS_URL, WORDPRESS_USER and WORDPRESS_APP_PASSWORD",
    "instagram": "set INSTAGRAM_USER_ID, INSTAGRAM_ACCESS_TOKEN and a public https REELFORGE_GALLERY_URL",
    "webhook": "set REELFORGE_WEBHOOK_URL",
}
