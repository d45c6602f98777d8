"""Is a PDF passive? Find the names that make a PDF act: scripts, actions, launches, embeds.

A citizen's PDF (a certificate, a scanned letter) needs none of them. The check reads the
PDF's names (``/JavaScript`` …), decoding ``#xx`` escapes (``/J#61vaScript``), in the file
outside its streams and inside its object streams (PDF 1.5 hides dictionaries there,
usually Flate-compressed). Other streams (page drawing, images, fonts) hold no dictionaries:
short names (``/JS``, ``/AA``) are not looked for in them, since compressed bytes contain them by
chance; the long ones (``/JavaScript``, ``/OpenAction``, ``/Launch`` …) are looked for everywhere,
so a fake "stream" keyword in a comment hides nothing. An object
stream that cannot be read, or an encrypted PDF, is refused: what we cannot read we do not pass.
"""

from __future__ import annotations

import re
import zlib

# name → why it is refused (completes “PDF“x.pdf”… ，不能上传”)
FORBIDDEN = {
    "JavaScript": "含有脚本（JavaScript）",
    "JS": "含有脚本（JavaScript）",
    "OpenAction": "含有打开文件时自动执行的动作",
    "AA": "含有自动执行的动作",
    "Launch": "含有启动外部程序的动作",
    "EmbeddedFile": "含有嵌入的文件",
    "EmbeddedFiles": "含有嵌入的文件",
    "RichMedia": "含有富媒体（Flash/视频）内容",
    "XFA": "含有 XFA 动态表单",
    "Encrypt": "已加密，无法检查其内容",
}
MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024  # inflated size of one object stream; real ones are kilobytes

_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /\[\]<>(){}%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# A stream starts right after its dictionary (">> stream"): a bare "stream" in a comment or a string
# must not make the check skip what follows (found by the independent probe: "%stream … %endstream").
_STREAM = re.compile(rb">>[\x00\t\n\x0c\r ]*stream(?:\r\n|\n|\r)")
# Names long enough never to turn up by chance in compressed bytes: looked for in the whole file, streams too.
_ANYWHERE = tuple(name for name in FORBIDDEN if len(name) >= 6)


def _names(segment: bytes) -> set[str]:
    out = set()
    for raw in _NAME.findall(segment):
        name = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
        out.add(name.decode("latin-1"))
    return out


def _inflate(body: bytes, names: set[str]) -> bytes | None:
    """The body of an object stream, or None when it cannot be read within limits."""
    filters = names & {"FlateDecode", "Fl", "ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "LZWDecode", "LZW", "RunLengthDecode", "RL", "Crypt"}
    if not filters:
        return body
    if filters - {"FlateDecode", "Fl"}:
        return None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(body, MAX_OBJECT_STREAM_BYTES)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else data


def pdf_problem(data: bytes) -> str:
    """Why this PDF is refused (a Chinese phrase), or "" when it is passive."""
    found: set[str] = set()
    pos = 0
    while match := _STREAM.search(data, pos):
        end = data.find(b"endstream", match.end())
        if end < 0:
            return "结构不完整（流没有结束标记）"
        found |= _names(data[pos : match.end()])
        start_of_object = data.rfind(b"obj", pos, match.start())
        dictionary = _names(data[max(start_of_object, pos) : match.start()])
        if "ObjStm" in dictionary:
            body = _inflate(data[match.end() : end], dictionary)
            if body is None:
                return "含有无法检查的压缩对象"
            found |= _names(body)
        pos = end + len(b"endstream")
    found |= _names(data[pos:])
    found |= {name for name in _names(data) if name in _ANYWHERE}
    for name, reason in FORBIDDEN.items():
        if name in found:
            return reason
    return ""
