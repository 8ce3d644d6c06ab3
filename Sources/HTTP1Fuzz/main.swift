import HTTP1
