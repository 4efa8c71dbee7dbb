"""Shared admin behaviour: row-level access for staff who are not superusers."""

from __future__ import annotations

from django.contrib import admin


class OwnedAdmin(admin.ModelAdmin):
    """Non-superusers see only rows ``for_user`` returns, and own what they create."""

    owner_field = "user"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.owner_field: request.user})

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser and hasattr(obj, f"{self.owner_field}_id"):
            setattr(obj, self.owner_field, request.user)
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        ro = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser and self.owner_field not in ro:
            ro.append(self.owner_field)
        return ro

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A staff user picks only among their own accounts, categories, files.
        related = db_field.related_model
        if not request.user.is_superuser and hasattr(related.objects, "for_user"):
            kwargs["queryset"] = related.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
