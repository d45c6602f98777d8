"""Who and what appeals are about: departments, grid cells, categories, channels, staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A node of the organisation tree: 区 → 部门/街道 → 科室/社区."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("区")
        BUREAU = "bureau", _("职能部门")
        STREET = "street", _("街道")
        SECTION = "section", _("科室")
        COMMUNITY = "community", _("社区")
        ENTERPRISE = "enterprise", _("企事业单位")

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    phone = models.CharField("联系电话", max_length=40, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def subtree_ids(self) -> list[int]:
        """This department and every unit below it (the tree is shallow: 3 levels)."""
        ids = [self.pk]
        frontier = [self.pk]
        while frontier:
            frontier = list(Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids


class GridCell(models.Model):
    """A territorial cell: 街道 (street) or 社区 (community), with aliases for address matching."""

    class Level(models.TextChoices):
        STREET = "street", _("街道")
        COMMUNITY = "community", _("社区")

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=80)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name="所属街道", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    department = models.ForeignKey(Department, verbose_name="属地责任单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    aliases = models.TextField("别名/地名", blank=True, help_text="每行一个：道路、小区、地标等，用于地址识别")

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["code"]

    def __str__(self) -> str:
        if self.parent_id and self.parent is not None:
            return f"{self.parent.name}/{self.name}"
        return self.name

    @property
    def street(self) -> GridCell:
        return self.parent if self.level == self.Level.COMMUNITY and self.parent is not None else self


class Category(models.Model):
    """A node of the three-level category tree. Territorial (属地) categories go to the street."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=80)
    parent = models.ForeignKey("self", verbose_name="上级分类", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    level = models.PositiveSmallIntegerField("层级", default=1)
    default_department = models.ForeignKey(
        Department, verbose_name="默认承办部门", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    territorial = models.BooleanField("属地事项", default=False, help_text="是：按网格派给所在街道")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def path(self) -> str:
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class Channel(models.Model):
    """Where an appeal came in: 12345热线, 苏商通, 政企早餐会, …  (a configurable list)."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    sort = models.PositiveSmallIntegerField("排序", default=100)
    active = models.BooleanField("启用", default=True)
    public = models.BooleanField("群众自助渠道", default=False, help_text="是：提交后需人工受理")
    open_data = models.BooleanField("公开展示", default=False, help_text="是：本渠道的诉求可在 Open311 和公开地图上以脱敏形式展示；12345热线、举报默认不公开")

    class Meta:
        verbose_name = "来源渠道"
        verbose_name_plural = "来源渠道"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """Links a login to the department it works for. Roles are Django groups named by role code."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    department = models.ForeignKey(Department, verbose_name="所属部门", null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    phone = models.CharField("手机", max_length=20, blank=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"

    def __str__(self) -> str:
        return f"{self.user.get_username()} @ {self.department or '-'}"


class GridShape(models.Model):
    """The boundary of a 街道 or 社区 as a GeoJSON Polygon/MultiPolygon (WGS84 longitude, latitude).

    Drawn by the cockpit's district map and served, without any personal data, at
    ``/directory/district.geojson``. Demo polygons come from ``load-defaults``; a real
    district loads its own with ``minyi directory load-geojson FILE``.
    """

    class Source(models.TextChoices):
        DEMO = "demo", _("示例边界")
        LOADED = "loaded", _("导入边界")

    cell = models.OneToOneField(GridCell, verbose_name="网格", on_delete=models.CASCADE, related_name="shape")
    geometry = models.JSONField("边界（GeoJSON）")
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.LOADED)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "网格边界"
        verbose_name_plural = "网格边界"

    def __str__(self) -> str:
        return str(self.cell)
