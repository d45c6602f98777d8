from django.contrib import admin

from minyi.directory.models import Category, Channel, Department, GridCell, GridShape, StaffProfile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("code", "name", "kind", "parent", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")


@admin.register(GridCell)
class GridCellAdmin(admin.ModelAdmin[GridCell]):
    list_display = ("code", "name", "level", "parent", "department")
    list_filter = ("level",)
    search_fields = ("code", "name", "aliases")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ("code", "name", "level", "parent", "default_department", "territorial", "active")
    list_filter = ("level", "territorial", "active")
    search_fields = ("code", "name")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    list_display = ("code", "name", "sort", "public", "active")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin[StaffProfile]):
    list_display = ("user", "department", "phone")
    search_fields = ("user__username", "user__first_name")
    autocomplete_fields = ("department",)


@admin.register(GridShape)
class GridShapeAdmin(admin.ModelAdmin[GridShape]):
    list_display = ("cell", "source", "updated_at")
    list_filter = ("source",)
    readonly_fields = ("updated_at",)
