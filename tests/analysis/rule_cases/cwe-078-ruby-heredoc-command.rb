require "open3"
require "shellwords"

# A heredoc is a string literal: without quotes around its tag (or with double quotes)
# it interpolates, and the shell then parses whatever the interpolated value holds.
class Backup
  def archive(folder)
    # ruleid: cwe-078-ruby-heredoc-command
    system(<<~CMD)
      tar czf /tmp/backup.tgz #{folder}
    CMD
  end

  def archive_old_style(folder)
    # ruleid: cwe-078-ruby-heredoc-command
    system(<<-SHELL
      tar czf /tmp/backup.tgz #{folder}
    SHELL
    )
  end

  def count_lines(path)
    # ruleid: cwe-078-ruby-heredoc-command
    out, _status = Open3.capture2(<<~"CMD".strip)
      wc -l
      #{path}
    CMD
    out
  end

  def run_detached(name)
    # ruleid: cwe-078-ruby-heredoc-command
    Process.spawn <<~CMD
      logger -t backup "#{name}"
    CMD
  end

  def disk_usage(folder)
    # A backtick heredoc is itself a command, run when the heredoc is evaluated.
    # ruleid: cwe-078-ruby-heredoc-command
    usage = <<~`SHELL`
      du -sh #{folder}
    SHELL
    # ok: cwe-078-ruby-heredoc-command
    total = <<~`SHELL`
      du -sh #{Shellwords.escape(folder)}
    SHELL
    [usage, total]
  end

  def escaped(folder)
    # ok: cwe-078-ruby-heredoc-command
    system(<<~CMD)
      tar czf /tmp/backup.tgz #{Shellwords.escape(folder)} #{folder.shellescape}
    CMD
  end

  def quoted_tag(folder)
    # A single-quoted tag does not interpolate: the shell sees the literal text.
    # ok: cwe-078-ruby-heredoc-command
    system(<<~'CMD')
      tar czf /tmp/backup.tgz #{folder}
    CMD
  end

  def constants_only
    # ok: cwe-078-ruby-heredoc-command
    system(<<~CMD)
      tar czf #{BACKUP_FILE} #{Backup::SOURCE}
    CMD
  end

  def separate_arguments(folder)
    # ok: cwe-078-ruby-heredoc-command
    system("tar", "czf", "/tmp/backup.tgz", folder)
    # ok: cwe-078-ruby-heredoc-command
    puts(<<~TEXT)
      archived #{folder}
    TEXT
  end
end
