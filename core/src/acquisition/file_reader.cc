// SPDX-License-Identifier: Apache-2.0
#include "cw/core/acquisition/file_reader.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cw::core::acquisition {

void LineSplitter::emit(std::string_view line, const LineCallback& on_line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  if (line.empty()) {
    ++stats_.empty;
    return;
  }
  if (line.size() > options_.max_line_bytes) {
    ++stats_.too_long;
    return;
  }
  ++stats_.lines;
  on_line(line);
}

void LineSplitter::feed(std::string_view chunk, const LineCallback& on_line) {
  stats_.bytes += chunk.size();
  while (!chunk.empty()) {
    const std::size_t nl = chunk.find('\n');
    const std::string_view piece = chunk.substr(0, nl);

    if (nl == std::string_view::npos) {
      // No end of line in this chunk: keep the start for the next one, unless the line is
      // already too long (+1 leaves room for a '\r' that the next chunk may strip).
      if (!discarding_) {
        if (pending_.size() + piece.size() > options_.max_line_bytes + 1) {
          discarding_ = true;
          pending_.clear();
        } else {
          pending_.append(piece);
        }
      }
      return;
    }

    if (discarding_) {
      discarding_ = false;
      ++stats_.too_long;
    } else if (pending_.empty()) {
      emit(piece, on_line);  // the common case: the whole line is inside the chunk
    } else {
      pending_.append(piece);
      emit(pending_, on_line);
      pending_.clear();
    }
    chunk.remove_prefix(nl + 1);
  }
}

void LineSplitter::finish(const LineCallback& on_line) {
  if (discarding_) {
    discarding_ = false;
    ++stats_.too_long;
  } else if (!pending_.empty()) {
    emit(pending_, on_line);
  }
  pending_.clear();
}

Result<ReadStats> readFileLines(const std::string& path, const ReadOptions& options,
                                const LineCallback& on_line) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return makeError(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return makeError(ErrorCode::Io, "cannot read " + path + ": " + std::strerror(EISDIR));
  }

  LineSplitter splitter(options);
  const std::size_t size = options.chunk_bytes == 0 ? 64 * 1024 : options.chunk_bytes;
  std::unique_ptr<char[]> buffer(new char[size]);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.get(), size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      ::close(fd);
      return makeError(ErrorCode::Io, "cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) {
      break;
    }
    splitter.feed(std::string_view(buffer.get(), static_cast<std::size_t>(n)), on_line);
  }
  ::close(fd);
  splitter.finish(on_line);
  return splitter.stats();
}

}  // namespace cw::core::acquisition
