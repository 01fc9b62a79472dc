"""asyncio.start_server(handler, None, 3000): one listening socket per address family (0.0.0.0 and ::)."""

import asyncio


async def handle(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    body = b"Hello from asyncio\n"
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, None, 3000)
    print(sorted(s.getsockname()[:2] for s in server.sockets), flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
