"""Order views: a realistic mix of Django and DRF code used by the lowering tests."""
import logging
from datetime import timedelta

from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from rest_framework import status, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from .models import Customer, Notification, Order
from .serializers import OrderSerializer

logger = logging.getLogger(__name__)


class OrderViewSet(viewsets.ModelViewSet):
    """CRUD for orders."""

    serializer_class = OrderSerializer
    queryset = Order.objects.select_related("customer").all()

    def get_queryset(self):
        qs = super().get_queryset()
        status_param = self.request.query_params.get("status")
        if status_param:
            qs = qs.filter(status=status_param)
        return qs

    @transaction.atomic
    def perform_create(self, serializer):
        order = serializer.save(created_by=self.request.user)
        for line in order.lines.all():
            line.product.reserve(line.quantity)
        logger.info("created order %s", order.pk)


@api_view(["GET"])
@permission_classes([])
def overdue(request, days: int = 7):
    cutoff = timezone.now() - timedelta(days=days)
    orders = Order.objects.filter(due__lt=cutoff)
    for order in orders:
        # one insert per order
        Notification.objects.create(customer=order.customer, text=f"Order {order.pk} is overdue")
    data = [{"id": o.pk, "total": str(o.total)} for o in orders]
    return Response(data, status=status.HTTP_200_OK)


def search(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name FROM customers WHERE name LIKE '%%" + term + "%%'"
        )
        rows = cursor.fetchall()
    try:
        names = {row[1]: row[0] for row in rows}
    except (KeyError, IndexError):
        pass
    return JsonResponse({"results": names, "count": len(rows)})


async def stats(request, *, window: timedelta | None = None) -> JsonResponse:
    total = await Order.objects.acount()
    best = max(
        (c for c in Customer.objects.all() if c.active),
        key=lambda c: c.lifetime_value,
        default=None,
    )
    return JsonResponse({"total": total, "best": best and best.pk, **({"w": str(window)} if window else {})})


def _legacy(items, cache={}):
    while items:
        item = items.pop()
        if item in cache:
            continue
        elif item is None:
            break
        else:
            cache[item] = len(cache)
    else:
        return cache
