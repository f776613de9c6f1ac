from django.conf import settings


def app(request):
    """Values every page needs: the account, its PSA's words for labels, and whether AI runs offline."""
    tenant = getattr(request, "tenant", None)
    return {
        "account": getattr(request, "account", None),
        "psa_words": tenant.psa_words if tenant is not None else {},
        "ai_offline": not settings.ANTHROPIC_API_KEY,
    }
