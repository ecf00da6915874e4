"""What reelforge says about itself to the public sites it asks (Wikipedia, Openverse, Commons)."""

USER_AGENT = "reelforge/0.1 (https://github.com/reelforge/reelforge; short explainer videos)"
