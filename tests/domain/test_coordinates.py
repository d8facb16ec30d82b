"""Points as callers share them, read by the desk's location field."""

import pytest

from liveroom.domain.coordinates import MAX_TEXT, shared_location


@pytest.mark.parametrize("text, point", [
    ("-6.17,106.64", (-6.17, 106.64)),
    ("  -6.1783, 106.6319 ", (-6.1783, 106.6319)),
    ("-6.17 106.64", (-6.17, 106.64)),
    ("geo:-6.1702,106.6403", (-6.1702, 106.6403)),
    ("geo:-6.1702,106.6403;u=35", (-6.1702, 106.6403)),
    ("geo:0,0?q=-6.1702,106.6403(Pasar%20Anyar)", (-6.1702, 106.6403)),
    ("https://www.google.com/maps/@-6.1781,106.6297,17z", (-6.1781, 106.6297)),
    ("https://www.google.com/maps/place/Pasar+Anyar/@-6.1781,106.6297,17z/data=!3m1",
     (-6.1781, 106.6297)),
    ("https://maps.google.com/?q=-6.1781,106.6297", (-6.1781, 106.6297)),
    ("https://www.google.com/maps/search/?api=1&query=-6.1781%2C106.6297",
     (-6.1781, 106.6297)),
    ("https://www.openstreetmap.org/?mlat=-6.1781&mlon=106.6297#map=17/-6.1781/106.6297",
     (-6.1781, 106.6297)),
    ("https://www.openstreetmap.org/#map=17/-6.17810/106.62970", (-6.1781, 106.6297)),
])
def test_a_shared_point_is_read_wherever_it_came_from(text, point):
    assert shared_location(text) == pytest.approx(point)


@pytest.mark.parametrize("text", [
    "", "Jl. Daan Mogot no. 5", "-96.1,106.6", "-6.1,196.6", "0,0", "geo:",
    "https://maps.app.goo.gl/AbCdEf", "javascript:alert(1)//@-6.1,106.6",
    "-6.1,106.6" + " " * MAX_TEXT, "1,2,3",
])
def test_anything_else_is_no_point(text):
    assert shared_location(text) is None
