class User
    def username_as_html(username)
        # construct a html string for username
        # put html_safe at the end of the string
        "<h2>#{username}</h2>".html_safe
    end
end
