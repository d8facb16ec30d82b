"""A citizen reports by chat, end to end through the webhooks; the replies read from the
outbox as the sender will deliver them."""

from __future__ import annotations

import io

from PIL import Image

from liveroom.channels import state
from liveroom.commands.incidents import get_incident
from liveroom.commands.media import photo_path
from tests.channels import payloads as p
from tests.channels.conftest import (
    PUBLIC_URL,
    last_reply,
    photo,
    post_sms,
    post_telegram,
    post_whatsapp,
    replies,
)
from tests.conftest import drain
from tests.notify.conftest import WHATSAPP_TOKEN

SENDER = "+6281234567890"


class WhatsApp:
    """One citizen on WhatsApp: each `say` is a new signed message."""

    def __init__(self, client, room, number: str = "6281234567890") -> None:
        self.client, self.room, self.number, self.sent = client, room, number, 0

    def send(self, message: dict) -> str:
        self.sent += 1
        body = p.whatsapp({"id": f"wamid.{self.number}.{self.sent}", **message},
                          sender=self.number, name="Budi")
        assert post_whatsapp(self.client, body).status_code == 200
        return last_reply(self.room, "+" + self.number)

    def say(self, text: str) -> str:
        return self.send({"type": "text", "text": {"body": text}})

    def share(self, lat: float, lon: float) -> str:
        return self.send({"type": "location", "location": {"latitude": lat, "longitude": lon}})

    def image(self, media_id: str) -> str:
        return self.send({"type": "image", "image": {"id": media_id, "mime_type": "image/jpeg",
                                                     "sha256": "x"}})


def number_of(room, code: str) -> str:
    return str(list(room.city.categories).index(code) + 1)


def tracking_number(text: str) -> str:
    return text.split("/lapor/")[1].split()[0].split("?")[0]


def test_a_report_by_whatsapp_with_a_shared_location_and_a_photo(client, room, providers,
                                                                tangerang_point):
    chat = WhatsApp(client, room)
    welcome = chat.say("Halo")
    assert "Pilih jenis masalah" in welcome and "1. Sampah menumpuk" in welcome
    assert "lokasi" in chat.say(number_of(room, "sampah-menumpuk")).lower()
    assert "foto" in chat.share(*tangerang_point).lower()
    providers.media["1003383421387256"] = photo()
    assert "Ceritakan" in chat.image("1003383421387256")
    assert [(r.path, r.headers.get("Authorization")) for r in providers.requests] == [
        ("/1003383421387256", f"Bearer {WHATSAPP_TOKEN}"),
        ("/whatsapp-media/1003383421387256", f"Bearer {WHATSAPP_TOKEN}")]
    summary = chat.say("Sampah menumpuk di depan pasar, sudah tiga hari")
    assert "Sampah menumpuk di depan pasar" in summary and "Foto: ada" in summary
    assert replies(room) and not [i for i in room.redis.scan_iter(
        room.keys.aggregate("incident", "*"))]  # nothing reported before "ya"
    done = chat.say("ya")
    number = tracking_number(done)
    assert f"{PUBLIC_URL}/lapor/{number}" in done and number in done
    incident = get_incident(room, number)
    assert incident.category == "sampah-menumpuk" and incident.callers[0].source == "whatsapp"
    assert [(c.phone, c.name, c.lang) for c in incident.callers] == [(SENDER, "Budi", "id")]
    stored = photo_path(room, incident.media_url.rsplit("/", 1)[1])
    with Image.open(stored) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert state.load(room, "whatsapp", SENDER) == {}
    assert all(r["channel"] == "whatsapp" and r["to"] == SENDER for r in replies(room))


def test_status_of_a_report(client, room, tangerang_point):
    chat = WhatsApp(client, room)
    chat.say("halo")
    chat.say(number_of(room, "banjir"))
    chat.share(*tangerang_point)
    chat.say("lewati")
    assert "Seberapa dalam airnya?" in chat.say("Air setinggi lutut")
    assert "Sepinggang" in chat.say("dalam sekali")  # (asked again)
    assert "Selutut" in chat.say("2")
    number = tracking_number(chat.say("ya"))
    assert get_incident(room, number).attributes == {"kedalaman-air": "selutut"}
    drain(room)
    answer = chat.say(f"status {number.lower()}")
    assert f"Laporan {number}:" in answer and f"/lapor/{number}" in answer
    assert "tidak ditemukan" in chat.say("status 991231-ZZZZZ")


def test_cancel_at_any_step_and_start_again(client, room, tangerang_point):
    chat = WhatsApp(client, room)
    chat.say("halo")
    chat.say("1")
    chat.share(*tangerang_point)
    assert "dibatalkan" in chat.say("BATAL")
    assert state.load(room, "whatsapp", SENDER) == {}
    assert "Pilih jenis masalah" in chat.say("halo lagi")
    assert not list(room.redis.scan_iter(room.keys.aggregate("incident", "*")))


def test_a_similar_report_nearby_is_offered_and_joined(client, room, tangerang_point):
    first = WhatsApp(client, room)
    first.say("halo")
    first.say(number_of(room, "banjir"))
    first.share(*tangerang_point)
    first.say("lewati")
    first.say("Banjir")
    first.say("1")
    number = tracking_number(first.say("ya"))
    drain(room)
    second = WhatsApp(client, room, number="6281298765432")
    second.say("halo")
    second.say(number_of(room, "genangan"))  # (the same family)
    offer = second.share(tangerang_point[0] + 0.0003, tangerang_point[1])
    assert number in offer and "ya" in offer
    joined = second.say("ya")
    assert number in joined and f"/lapor/{number}" in joined
    callers = get_incident(room, number).callers
    assert [c.phone for c in callers] == [SENDER, "+6281298765432"]
    assert len(list(room.redis.scan_iter(room.keys.aggregate("incident", "*")))) == 1


def test_declining_the_similar_report_goes_on_to_a_new_one(client, room, tangerang_point):
    first = WhatsApp(client, room)
    for text in ("halo", number_of(room, "banjir")):
        first.say(text)
    first.share(*tangerang_point)
    for text in ("lewati", "Banjir", "3", "ya"):
        first.say(text)
    drain(room)
    second = WhatsApp(client, room, number="6281298765432")
    second.say("halo")
    second.say(number_of(room, "banjir"))
    second.share(*tangerang_point)
    assert "foto" in second.say("tidak").lower()


def test_unexpected_messages_get_help_never_silence(client, room, tangerang_point):
    chat = WhatsApp(client, room)
    chat.say("halo")
    assert "Balas dengan angka" in chat.say("sampah dong")
    assert "Balas dengan angka" in chat.say("99")
    assert "Balas dengan angka" in chat.send({"type": "sticker", "sticker": {"id": "527"}})
    chat.say("1")
    assert "Kecamatan tidak dikenali" in chat.say("di sana")
    assert "luar wilayah" in chat.share(-6.9, 107.6)  # Bandung
    chat.share(*tangerang_point)
    assert "Kirim foto" in chat.say("apa?")
    assert "tidak dapat diambil" in chat.image("no-such-media")
    chat.say("lewati")
    chat.say("Sampah")
    assert "Balas \"ya\"" in chat.say("hmm")
    assert len(replies(room)) == chat.sent  # (one reply each)


def test_a_typed_kecamatan_and_address_is_placed_approximately(client, room):
    chat = WhatsApp(client, room)
    chat.say("halo")
    chat.say(number_of(room, "pkl-liar"))
    district = next(d for d in room.city.districts.values() if d.name == "Cipondoh")
    assert "foto" in chat.say("Cipondoh, Jl. Hasyim Ashari 5").lower()
    chat.say("lewati")
    summary = chat.say("PKL di trotoar")
    assert "perkiraan: Kec. Cipondoh" in summary
    incident = get_incident(room, tracking_number(chat.say("ya")))
    assert (incident.lat, incident.lon) == district.middle  # (approximate: its middle)
    assert incident.district == district.code
    assert incident.address == "Cipondoh, Jl. Hasyim Ashari 5"


def test_english_on_request(client, room):
    chat = WhatsApp(client, room)
    assert "Pick the kind of problem" in chat.say("english")
    assert "we continue in English" in replies(room)[-2]["text"]
    assert "Where is it?" in chat.say("1")
    assert replies(room)[-1]["lang"] == "en"
    assert "Di mana lokasinya?" in chat.say("bahasa")


def test_a_report_by_telegram_with_its_photo(client, room, providers, tangerang_point):
    sent = iter(range(20_000, 20_100))

    def send(message: dict) -> str:
        assert post_telegram(client, p.telegram(next(sent), message)).status_code == 200
        return last_reply(room, "1111111")

    send({"text": "/start"})
    send({"text": number_of(room, "kabel-menjuntai")})
    send({"location": {"latitude": tangerang_point[0], "longitude": tangerang_point[1]}})
    providers.media["AgACAgUAAxkBAAIBQ2Y-large"] = photo()
    assert "Ceritakan" in send(p.TELEGRAM_PHOTO)
    send({"text": "Kabel listrik menjuntai rendah"})
    incident = get_incident(room, tracking_number(send({"text": "ya"})))
    assert incident.callers[0].source == "telegram" and incident.media_url
    assert [(c.telegram, c.name) for c in incident.callers] == [("1111111", "Test Lastname")]


def test_a_report_by_sms(client, room):
    sent = iter(range(100))

    def send(text: str) -> str:
        params = [(k, text if k == "Body" else f"SM{next(sent):032d}" if k == "MessageSid"
                   else v) for k, v in p.TWILIO_SMS]
        assert post_sms(client, params).status_code == 200
        return last_reply(room, SENDER)

    send("halo")
    send(number_of(room, "parkir-liar"))
    send("Karawaci, Jl. Imam Bonjol 10")
    send("lewati")
    send("Parkir liar di bahu jalan")
    incident = get_incident(room, tracking_number(send("YA")))
    karawaci = next(d for d in room.city.districts.values() if d.name == "Karawaci")
    assert incident.callers[0].source == "sms" and (incident.lat, incident.lon) == karawaci.middle
    assert [c.phone for c in incident.callers] == [SENDER]


def test_the_conversation_times_out(client, room, tangerang_point):
    chat = WhatsApp(client, room)
    chat.say("halo")
    ttl = room.redis.ttl(room.keys.conversation("whatsapp", SENDER))
    assert 0 < ttl <= room.settings.conversation_timeout_minutes * 60
    room.redis.delete(room.keys.conversation("whatsapp", SENDER))  # (what the TTL does)
    assert "Pilih jenis masalah" in chat.say("1")


def test_photos_are_checked_as_on_the_citizen_page(client, room, providers, tangerang_point):
    chat = WhatsApp(client, room)
    for text in ("halo", "1"):
        chat.say(text)
    chat.share(*tangerang_point)
    providers.media["notanimage"] = b"GIF89a not really"
    assert "bukan foto" in chat.image("notanimage")
    png = io.BytesIO()
    Image.new("RGB", (20, 20)).save(png, "PNG")
    providers.media["png"] = png.getvalue()
    assert "Ceritakan" in chat.image("png")


def test_an_mms_photo_is_fetched_from_twilio_only(client, room, providers):
    sent = iter(range(100))

    def send(**fields: str) -> str:
        params = [(k, f"MM{next(sent):032d}" if k == "MessageSid" else v)
                  for k, v in p.TWILIO_SMS if k not in fields] + list(fields.items())
        assert post_sms(client, params).status_code == 200
        return last_reply(room, SENDER)

    for text in ("halo", "1", "Karawaci, Jl. Imam Bonjol 10"):
        send(Body=text)
    media = f"{providers.url}/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME123"
    elsewhere = "http://127.0.0.1:9/Media/ME123"
    assert "tidak dapat diambil" in send(Body="", NumMedia="1", MediaUrl0=elsewhere,
                                          MediaContentType0="image/jpeg")
    providers.media["ME123"] = photo()
    assert "Ceritakan" in send(Body="", NumMedia="1", MediaUrl0=media,
                               MediaContentType0="image/jpeg")
    assert providers.requests[-1].headers["Authorization"].startswith("Basic ")
