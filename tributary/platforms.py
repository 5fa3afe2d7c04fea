"""The client platforms Tributary's commerce data knows, in the order the API reports them."""

PLATFORMS = ("iOS", "Android", "MobileWeb")
