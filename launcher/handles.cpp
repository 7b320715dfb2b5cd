// launcher/handles.cpp: see handles.h.
#include "handles.h"

#include "sys/errno.h"
#include "sys/fd.h"
#include "transcript.h"

namespace bvisor::launcher {

namespace {

const char* type_name(unsigned mode) {
    switch (mode & S_IFMT) {
    case S_IFDIR:
        return "a directory";
    case S_IFREG:
        return "a regular file";
    case S_IFSOCK:
        return "a socket";
    case S_IFIFO:
        return "a pipe";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFLNK:
        return "a symlink";
    default:
        return "of unknown type";
    }
}

bool kind_matches(codec::Kind kind, unsigned mode) {
    switch (kind) {
    case codec::Kind::Directory:
        return S_ISDIR(mode);
    case codec::Kind::Regular:
        return S_ISREG(mode);
    case codec::Kind::Socket:
        return S_ISSOCK(mode);
    case codec::Kind::Pipe:
        return S_ISFIFO(mode);
    case codec::Kind::CharDevice:
        return S_ISCHR(mode); // never a block device: no kind matches one
    case codec::Kind::Count:
        return false;
    }
    return false; // not a Kind: the decoder never makes one
}

void slot_prefix(codec::TextBuf& detail, const codec::Slot& s) {
    detail.append("slot ")
        .append_u64(s.slot_index)
        .append(" (")
        .append(codec::role_name(s.role))
        .append("): ");
}

} // namespace

bool check_handles(codec::Span<codec::Slot> slots, codec::TextBuf& detail) {
    for (const codec::Slot& s : slots) {
        int fd = static_cast<int>(s.slot_index); // check 3 bounded it by 2147483647
        struct stat st;
        long r = sys::sys_fstat(fd, &st);
        if (r < 0) {
            slot_prefix(detail, s);
            detail.append("fd ").append_u64(s.slot_index);
            if (r == sys::kEbadf) {
                detail.append(" is not open"); // PROTOCOL.md section 10
            } else {
                detail.append(": fstat: ");
                append_os_error(detail, r);
            }
            return false;
        }
        if (!kind_matches(s.kind, st.st_mode)) {
            slot_prefix(detail, s);
            detail.append("declared ").append(codec::kind_name(s.kind)).append(", but fd ");
            detail.append_u64(s.slot_index).append(" is ").append(type_name(st.st_mode));
            return false;
        }
        if (s.kind == codec::Kind::Directory || s.kind == codec::Kind::Regular ||
            s.kind == codec::Kind::CharDevice) {
            long flags = sys::sys_fcntl(fd, F_GETFL, 0);
            if (flags < 0) {
                slot_prefix(detail, s);
                detail.append("fcntl(F_GETFL): ");
                append_os_error(detail, flags);
                return false;
            }
            // O_PATH fds report O_RDONLY (0): not writable.
            long acc = flags & O_ACCMODE;
            bool writable = !(flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
            if (writable != s.writable) {
                slot_prefix(detail, s);
                detail.append("declared writable=").append(s.writable ? "true" : "false");
                detail.append(", but fd ").append_u64(s.slot_index);
                detail.append(writable ? " is open for writing" : " is not open for writing");
                return false;
            }
        }
    }
    return true;
}

} // namespace bvisor::launcher
