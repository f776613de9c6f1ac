from django.conf import settings


def app(request):
    """Values every page needs: the account and whether AI runs offline."""
    return {
        "account": getattr(request, "account", None),
        "ai_offline": not settings.ANTHROPIC_API_KEY,
    }
